#!/usr/bin/env node
// Writes the demo PDFs of ui-bridge/documents/ by hand (no library):
// public/ holds briefing materials, private/ documents for approval.
// Every page says DEMO; the figures are made up.  Run:
//   node ui-bridge/documents/make-demo.mjs
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

// PDF string literal: escape \ ( ); the text is ASCII only (Helvetica).
const str = (s) => `(${s.replace(/[\\()]/g, (c) => `\\${c}`)})`;

// One page's content stream: a header band, the title, lines of text and
// an optional bar chart.
function pageStream(doc, page, n, total) {
	const out = [];
	out.push("0.075 0.161 0.294 rg 0 762 612 30 re f");		// navy band
	out.push("BT /F2 11 Tf 1 1 1 rg 40 772 Td", str(`${doc.kind}  |  Seoul Metropolitan Government  |  DEMO`) + " Tj ET");
	out.push("BT /F2 22 Tf 0.075 0.161 0.294 rg 40 715 Td", str(page.title) + " Tj ET");
	out.push("BT /F1 12 Tf 0.4 0.4 0.4 rg 40 692 Td", str(doc.title) + " Tj ET");
	let y = 650;
	for (const line of page.lines) {
		out.push(`BT /F1 13 Tf 0.1 0.1 0.1 rg 40 ${y} Td`, str(line) + " Tj ET");
		y -= 22;
	}
	if (page.bars) {
		const max = Math.max(...page.bars.map((b) => b[1]));
		y -= 20;
		for (const [name, v] of page.bars) {
			const w = Math.round(380 * v / max);
			out.push(`BT /F1 11 Tf 0.1 0.1 0.1 rg 40 ${y + 4} Td`, str(name) + " Tj ET");
			out.push(`0.039 0.431 0.741 rg 160 ${y} ${w} 16 re f`);
			out.push(`BT /F1 11 Tf 0.1 0.1 0.1 rg ${166 + w} ${y + 4} Td`, str(String(v)) + " Tj ET");
			y -= 26;
		}
	}
	out.push("0.702 0.349 0 RG 2 w 380 40 192 26 re S");		// DEMO stamp
	out.push("BT /F2 12 Tf 0.702 0.349 0 rg 392 49 Td", str("DEMO - NOT REAL DATA") + " Tj ET");
	out.push("BT /F1 10 Tf 0.4 0.4 0.4 rg 40 49 Td", str(`Page ${n} of ${total}`) + " Tj ET");
	return out.join("\n");
}

// Builds the whole file, with a correct cross-reference table.
function pdf(doc) {
	const objs = [];	// objs[i] is object number i + 1
	const add = (s) => { objs.push(s); return objs.length; };
	const catalog = add(null), pages = add(null);
	const f1 = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
	const f2 = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>");
	const kids = [];
	doc.pages.forEach((p, i) => {
		const s = pageStream(doc, p, i + 1, doc.pages.length);
		const c = add(`<< /Length ${Buffer.byteLength(s, "latin1")} >>\nstream\n${s}\nendstream`);
		kids.push(add(`<< /Type /Page /Parent ${pages} 0 R /MediaBox [0 0 612 792] ` +
		    `/Resources << /Font << /F1 ${f1} 0 R /F2 ${f2} 0 R >> >> /Contents ${c} 0 R >>`));
	});
	objs[catalog - 1] = `<< /Type /Catalog /Pages ${pages} 0 R >>`;
	objs[pages - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;
	const info = add(`<< /Title ${str(doc.title)} /Producer (smartoffice make-demo.mjs) >>`);
	let out = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
	const offsets = [];
	objs.forEach((o, i) => {
		offsets.push(Buffer.byteLength(out, "latin1"));
		out += `${i + 1} 0 obj\n${o}\nendobj\n`;
	});
	const xref = Buffer.byteLength(out, "latin1");
	out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
	for (const off of offsets)
		out += `${String(off).padStart(10, "0")} 00000 n \n`;
	out += `trailer\n<< /Size ${objs.length + 1} /Root ${catalog} 0 R /Info ${info} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return Buffer.from(out, "latin1");
}

const DOCS = [
	{ file: "public/2026-city-briefing.pdf", kind: "Briefing material", title: "2026 city briefing (DEMO)", pages: [
		{ title: "2026 city briefing (DEMO)", lines: ["Mayor's policy briefing, quarterly review.", "Prepared by the Big Data Division.", "", "Contents:", "1. Real-time city status", "2. Key municipal projects"] },
		{ title: "1. Real-time city status", lines: ["Living population peaks at 10.3 million at 14:00.", "Average downtown traffic speed: 19.8 km/h.", "PM2.5 stays in the 'good' band on 21 days of 30."],
		  bars: [["Transportation", 42], ["Safety", 35], ["Air quality", 28], ["Waterworks", 17]] },
		{ title: "2. Key municipal projects", lines: ["36 key projects; 29 on schedule, 4 delayed.", "Nodeul island and Seoullo 7017 completed.", "Next review: after the budget vote."] },
	] },
	{ file: "public/air-quality-report.pdf", kind: "Research report", title: "Air quality annual report (DEMO)", pages: [
		{ title: "Air quality annual report (DEMO)", lines: ["Fine dust (PM10) and ultrafine dust (PM2.5)", "by district, 25 measuring stations."] },
		{ title: "PM2.5 by season", lines: ["Annual mean PM2.5: 18 ug/m3 (made-up figure)."],
		  bars: [["Spring", 27], ["Summer", 14], ["Autumn", 16], ["Winter", 24]] },
	] },
	{ file: "private/2026-budget-plan.pdf", kind: "Document for approval", title: "2026 budget plan (DEMO)", pages: [
		{ title: "2026 budget plan (DEMO)", lines: ["For the Mayor's approval.", "Total budget: 48.1 trillion won (made-up figure).", "Approval requested by: Budget Division."] },
		{ title: "Spending by sector", lines: ["Trillion won, draft for approval."],
		  bars: [["Social welfare", 15.1], ["Education", 4.1], ["Transportation", 5.4], ["City safety", 3.2], ["Housing", 3.0]] },
	] },
	{ file: "private/night-bus-expansion.pdf", kind: "Document for approval", title: "Olbaemi night bus expansion (DEMO)", pages: [
		{ title: "Night bus expansion (DEMO)", lines: ["Proposal: two new Olbaemi routes (N17, N38).", "Based on late-night mobile phone data."] },
		{ title: "Riders per night", lines: ["Forecast after the expansion."],
		  bars: [["N13", 1480], ["N16", 1390], ["N17 (new)", 900], ["N38 (new)", 760]] },
	] },
];

for (const d of DOCS) {
	const path = join(here, d.file);
	mkdirSync(dirname(path), { recursive: true });
	writeFileSync(path, pdf(d));
	console.log(`${d.file}: ${d.pages.length} pages`);
}
