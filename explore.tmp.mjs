import puppeteer from 'puppeteer-core';
const b = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const p = await b.newPage();
p.on('workercreated', (w) => console.log('worker', w.url().slice(0,20)));
p.on('pageerror', (e) => console.log('pageerror:', e.message));
await p.setViewport({ width: 1200, height: 900 });
p.on('workercreated', (w) => { w.on?.('console', (m) => console.log('W:', m.text())); });
await p.goto('file:///work/wt-web/web/dist/index.html');
await p.click('input[name=kind][value=regions]');
await (await p.$('#manifest')).uploadFile('/tmp/big256.json');
await (await p.$('#manifest-files')).uploadFile('/tmp/OVMF-synthetic-amdsev.fd', '/tmp/kernel-hashes.page', '/tmp/big256.bin');
const t0 = Date.now();
await p.click('[data-testid=measure]');
// main-thread responsiveness: longest gap between animation frames while measuring
await p.evaluate(() => { window.__gaps = []; let last = performance.now(); const f = (t) => { window.__gaps.push(t - last); last = t; if (!/^[0-9a-f]{96}$/.test(document.querySelector('[data-testid=digest]').textContent)) requestAnimationFrame(f); }; requestAnimationFrame(f); });
for (let i = 0; i < 40; i++) {
  const s = await p.evaluate(() => [document.querySelector('#progress-label').textContent, document.querySelector('#progress').hidden, document.querySelector('[data-testid=digest]').textContent.slice(0, 12)]);
  console.log(Date.now() - t0, JSON.stringify(s));
  if (s[2]) break;
  await new Promise((r) => setTimeout(r, 250));
}
console.log('max frame gap ms', await p.evaluate(() => Math.max(...window.__gaps).toFixed(0)), 'frames', await p.evaluate(() => window.__gaps.length));
console.log(await p.$eval('#status', (e) => e.textContent));
await b.close();
