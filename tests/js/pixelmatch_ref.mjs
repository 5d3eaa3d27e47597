// Runs the reference pixelmatch 7.2.0 for the Python tests and benchmark.
// stdin: {"cases": [{"a": raw RGBA file, "b": ..., "width", "height", "options": {...},
//          "out": raw output file or null, "repeat": N (time it N times)}]}
// stdout: [{"mismatch": n, "ms": [per-run milliseconds, timed inside node]}]
import fs from 'fs';
import pixelmatch from 'pixelmatch';

const job = JSON.parse(fs.readFileSync(0, 'utf8'));
const results = [];
for (const c of job.cases) {
    const a = new Uint8Array(fs.readFileSync(c.a));
    const b = new Uint8Array(fs.readFileSync(c.b));
    const out = c.out ? new Uint8Array(a.length) : null;
    const repeat = c.repeat || 1;
    const ms = [];
    let mismatch = 0;
    for (let r = 0; r < repeat; r++) {
        if (out) out.fill(0);
        const t0 = process.hrtime.bigint();
        mismatch = pixelmatch(a, b, out, c.width, c.height, c.options || {});
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    if (out) fs.writeFileSync(c.out, out);
    results.push({mismatch, ms});
}
process.stdout.write(JSON.stringify(results));
