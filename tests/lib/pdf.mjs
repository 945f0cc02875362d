// pdf.mjs - what a PDF shows, read with Debian's poppler-utils and zbar-tools (installed by
// scripts/install-deps.sh test): its text, its images and the QR codes a reader scans off it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function withFile(bytes, fn) {
  const dir = mkdtempSync(join(tmpdir(), 'fh-pdf-'));
  try {
    const file = join(dir, 'doc.pdf');
    writeFileSync(file, bytes);
    return fn(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Text as words: each line's runs of spaces made one, leading and trailing ones and trailing
 * empty lines dropped (pdftotext -layout guesses columns, so its spacing is not the text's). */
export function wordLines(text) {
  const lines = text.replace(/\f/g, '').split(/\r?\n/).map((l) => l.trim().replace(/\s+/g, ' '));
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The text of the PDF's pages, line for line (pdftotext -layout), as wordLines. */
export function pdfLines(bytes) {
  return withFile(bytes, (file) => wordLines(execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' })));
}

/** `pdfinfo` as an object: { Pages: '1', Title: '...', ... }. */
export function pdfInfo(bytes) {
  return withFile(bytes, (file) => Object.fromEntries(
    execFileSync('pdfinfo', ['-enc', 'UTF-8', file], { encoding: 'utf8' }).split('\n')
      .map((l) => l.match(/^([^:]+):\s*(.*)$/)).filter(Boolean).map((m) => [m[1], m[2]])));
}

/** What QR codes zbarimg reads off the PDF's pages rendered at 150 dpi. */
export function pdfQrCodes(bytes) {
  return withFile(bytes, (file, dir) => {
    execFileSync('pdftoppm', ['-r', '150', '-gray', file, join(dir, 'page')]);
    const pages = execFileSync('sh', ['-c', `ls ${dir}/page*.pgm`], { encoding: 'utf8' }).trim().split('\n');
    let out;
    try {
      out = execFileSync('zbarimg', ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', ...pages], { encoding: 'utf8' });
    } catch (e) {
      if (e.status === 4) return []; // zbarimg: no code found
      throw e;
    }
    return out.split('\n').filter(Boolean);
  });
}
