#!/usr/bin/env node
/**
 * Which SHA-384 the page should use for 4 KiB pages: @noble/hashes (synchronous) or WebCrypto
 * (asynchronous, batched), measured in headless Chromium in a Web Worker, as the page runs it.
 *   node web/bench-hash.mjs [MiB]      (default 16 MiB of pages; needs /usr/bin/chromium)
 * Prints times and the ratio; both runs hash the same pages in the same browser.
 */
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const mib = Number(process.argv[2] ?? 16);
const code = `
import { sha384, sha256 } from '@noble/hashes/sha2.js';
const PAGES = ${mib} * 256;
const data = new Uint8Array(PAGES * 4096);
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
async function run() {
  const out = {};
  let t = performance.now();
  for (let p = 0; p < PAGES; p++) sha384(data.subarray(p * 4096, (p + 1) * 4096));
  out.nobleSha384Pages = performance.now() - t;
  t = performance.now();
  for (let first = 0; first < PAGES; first += 256) {
    const all = [];
    for (let p = first; p < first + 256; p++) all.push(crypto.subtle.digest('SHA-384', data.subarray(p * 4096, (p + 1) * 4096)));
    await Promise.all(all);
  }
  out.webcryptoSha384Pages = performance.now() - t;
  t = performance.now(); sha256(data); out.nobleSha256Whole = performance.now() - t;
  t = performance.now(); await crypto.subtle.digest('SHA-256', data); out.webcryptoSha256Whole = performance.now() - t;
  return out;
}
run().then((r) => postMessage(r));
`;
const dir = mkdtempSync(join(tmpdir(), 'vmfw-bench-'));
try {
  const bundle = await build({ stdin: { contents: code, resolveDir: process.cwd(), loader: 'js' }, bundle: true, format: 'iife', write: false, logLevel: 'error' });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>bench</title>');
  const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage();
  await page.goto(pathToFileURL(join(dir, 'index.html')).href);
  const r = await page.evaluate((src) => new Promise((resolve) => {
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    w.onmessage = (e) => resolve(e.data);
  }), bundle.outputFiles[0].text);
  await browser.close();
  const ms = (v) => `${v.toFixed(0)} ms`;
  console.log(`${mib} MiB in a Chromium worker:`);
  console.log(`  SHA-384 of 4 KiB pages: @noble/hashes ${ms(r.nobleSha384Pages)}, WebCrypto (batches of 256) ${ms(r.webcryptoSha384Pages)}: ${(r.nobleSha384Pages / r.webcryptoSha384Pages).toFixed(1)}x`);
  console.log(`  SHA-256 of the whole:   @noble/hashes ${ms(r.nobleSha256Whole)}, WebCrypto ${ms(r.webcryptoSha256Whole)}: ${(r.nobleSha256Whole / r.webcryptoSha256Whole).toFixed(1)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
