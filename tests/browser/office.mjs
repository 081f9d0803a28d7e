// The office file (rooms, departments, the TV's room; docs/conference.md)
// the conference, remote and TV browser tests give the daemon.  Join URLs
// are on a name that never resolves (.invalid, RFC 2606): the frames are
// real, nothing leaves the machine.
import path from "node:path";
import { writeFileSync } from "node:fs";

export const ROOM_URL = "https://meet.example.invalid/smartoffice-test-situation";
export const TV_ROOM_URL = "https://meet.example.invalid/smartoffice-test-briefing";

export const ROOMS = {
	mayor: { id: "mayor-room", ko: "시장실 회의", en: "Mayor's meeting room", url: "https://meet.example.invalid/mayor" },
	situation: { id: "situation-room", ko: "재난상황실", en: "Disaster situation room", url: ROOM_URL },
	briefing: { id: "briefing-room", ko: "브리핑룸", en: "Briefing room", url: TV_ROOM_URL },
};
export const DEPARTMENTS = {
	transport: { id: "transport", ko: "교통정책과", en: "Transport Policy Division",
		voice: "tel:+82-2-2133-2200", contexts: ["transportation"] },
	disaster: { id: "disaster-response", ko: "재난안전대책본부", en: "Disaster and Safety Headquarters",
		video: "https://meet.example.invalid/disaster", voice: "tel:+82-2-120",
		contexts: ["disaster-safety"] },
};

// Writes DIR/office.json with these rooms and departments (and tv_room
// when given); returns its path.
export function officeFile(dir, { rooms = [], departments = [], tvRoom } = {}) {
	const f = path.join(dir, "office.json");
	const office = { version: 1, rooms, departments };
	if (tvRoom)
		office.tv_room = tvRoom;
	writeFileSync(f, JSON.stringify(office, null, 2));
	return f;
}

// A page's own console errors, less the frames' failed name look-ups.
export const ownErrors = (rec) => rec.console.filter((s) => !/example\.invalid|ERR_NAME_NOT_RESOLVED/.test(s));
