import puppeteer from 'puppeteer-core';
const b = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const p = await b.newPage();
p.on('pageerror', (e) => console.log('pageerror:', e.message));
await p.setViewport({ width: 1200, height: 900 });
await p.goto('file:///work/wt-web/web/dist/index.html');
await p.click('input[name=kind][value=regions]');
await (await p.$('#manifest')).uploadFile('/tmp/big.json');
await (await p.$('#manifest-files')).uploadFile('/tmp/OVMF-synthetic-amdsev.fd', '/tmp/kernel-hashes.page');
const t0 = Date.now();
await p.click('[data-testid=measure]');
await p.waitForFunction(() => /^[0-9a-f]{96}$/.test(document.querySelector('[data-testid=digest]').textContent), { timeout: 30000 });
console.log('measured (page clock)', Date.now() - t0, await p.$eval('#status', (e) => e.textContent));
const r = await p.evaluate(async () => {
  const log = document.querySelector('#log');
  log.scrollIntoView();
  const gaps = [];
  let last = performance.now();
  for (let i = 0; i < 240; i++) {
    log.scrollTop = (i / 240) * log.scrollHeight;
    await new Promise((res) => requestAnimationFrame(res));
    const now = performance.now(); gaps.push(now - last); last = now;
  }
  gaps.sort((a, b) => a - b);
  return { median: gaps[120].toFixed(1), p95: gaps[228].toFixed(1), max: gaps[239].toFixed(1), rows: log.querySelectorAll('.log-row').length };
});
console.log('frame times while jumping through 100k rows', r);
const r2 = await p.evaluate(async () => {
  const log = document.querySelector('#log');
  log.scrollTop = 1400000;
  const gaps = [];
  let last = performance.now();
  for (let i = 0; i < 240; i++) {
    log.scrollTop += 120;
    await new Promise((res) => requestAnimationFrame(res));
    const now = performance.now(); gaps.push(now - last); last = now;
  }
  gaps.sort((a, b) => a - b);
  return { median: gaps[120].toFixed(1), p95: gaps[228].toFixed(1), max: gaps[239].toFixed(1) };
});
console.log('frame times scrolling 120 px a frame', r2);
const r3 = await p.evaluate(async () => {
  const gaps = []; let last = performance.now();
  for (let i = 0; i < 240; i++) { await new Promise((res) => requestAnimationFrame(res)); const now = performance.now(); gaps.push(now - last); last = now; }
  gaps.sort((a, b) => a - b);
  return { median: gaps[120].toFixed(1), p95: gaps[228].toFixed(1) };
});
console.log('idle frames', r3);
const r4 = await p.evaluate(async () => {
  const log = document.querySelector('#log');
  let t = 0;
  for (let i = 0; i < 240; i++) { log.scrollTop += 120; const s = performance.now(); log.dispatchEvent(new Event('scroll')); await new Promise((res) => requestAnimationFrame(res)); t += 0; }
  // direct render cost: force layout after each scroll
  const s = performance.now();
  for (let i = 0; i < 240; i++) { log.scrollTop += 120; void log.querySelector('.log-row').offsetHeight; }
  return ((performance.now() - s) / 240).toFixed(2);
});
console.log('scroll+layout without paint, ms per step', r4);
await b.close();
