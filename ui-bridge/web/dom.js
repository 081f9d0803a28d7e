// Small DOM helpers the reference pages share (the wall, the TV's
// conference module, the remote).  Plain ES module.

// A new element: el("div", "card", "text"); cls and text may be omitted.
export function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text != null)
		e.textContent = text;
	return e;
}
