// AudioWorklet processor for smartoffice.js's voice button: mono float
// input at the context's rate -> 16 kHz signed 16-bit little-endian PCM,
// posted to the main thread as one ArrayBuffer per ~100 ms frame.  A
// separate file because the daemon's CSP allows scripts from 'self' only.

class Pcm16k extends AudioWorkletProcessor {
	constructor(options) {
		super();
		const o = options?.processorOptions ?? {};
		this.rate = o.rate || 16000;
		this.frame = o.frame || 1600;
		this.step = sampleRate / this.rate;	// input samples per output sample
		this.pos = 0;				// next output sample, in input samples
		this.last = 0;				// previous input sample (interpolation)
		this.buf = new Int16Array(this.frame);
		this.n = 0;
		this.port.onmessage = (ev) => {
			if (ev.data === "flush") {
				this.post();
				this.port.postMessage("flushed");
			}
		};
	}

	post() {
		if (this.n === 0)
			return;
		const out = new ArrayBuffer(this.n * 2);
		const dv = new DataView(out);
		for (let i = 0; i < this.n; i++)
			dv.setInt16(i * 2, this.buf[i], true);
		this.port.postMessage(out, [out]);
		this.n = 0;
	}

	push(x) {
		const s = Math.max(-1, Math.min(1, x));
		this.buf[this.n++] = s < 0 ? s * 0x8000 : s * 0x7fff;
		if (this.n === this.frame)
			this.post();
	}

	process(inputs) {
		const ch = inputs[0]?.[0];
		if (!ch)
			return true;
		if (this.step === 1) {
			for (let i = 0; i < ch.length; i++)
				this.push(ch[i]);
			return true;
		}
		// Linear interpolation between input samples; pos is relative to
		// this block, -1 meaning the last sample of the previous block.
		// (Downsampling 48 -> 16 kHz without a low-pass filter aliases a
		// little; speech recognition copes.)
		while (this.pos < ch.length) {
			const i = Math.floor(this.pos);
			const f = this.pos - i;
			const a = i < 0 ? this.last : ch[i];
			const b = i + 1 < ch.length ? ch[i + 1] : ch[ch.length - 1];
			this.push(a + (b - a) * f);
			this.pos += this.step;
		}
		this.pos -= ch.length;
		this.last = ch[ch.length - 1];
		return true;
	}
}

registerProcessor("pcm16k", Pcm16k);
