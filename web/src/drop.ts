/**
 * Files dropped anywhere on the page (except onto a file field, which takes them itself) are
 * recognised by their contents: an IGVM file by its magic, a report by its size (or as short
 * hex/base64 text), a manifest as JSON; other files are firmware, or a manifest's files when a
 * region list is being measured.
 */
import { byId as $ } from './dom.js';

type Kind = 'ovmf' | 'regions' | 'igvm';

export interface DropHost {
  kind(): Kind;
  setKind(k: Kind): void;
  measure(): void;
  report(f: File): Promise<void>;
  status(text: string): void;
}

export type Sniffed = 'igvm' | 'manifest' | 'report' | 'binary';

export async function sniff(f: File): Promise<Sniffed> {
  const head = new Uint8Array(await f.slice(0, 64).arrayBuffer());
  if (head[0] === 0x49 && head[1] === 0x47 && head[2] === 0x56 && head[3] === 0x4d) return 'igvm'; // "IGVM"
  if (f.size === 0x4a0) return 'report';
  const text = new TextDecoder().decode(head).trimStart();
  if (text.startsWith('{') && f.size < 16 << 20) return 'manifest';
  if (f.size < 8192 && /^(0x)?[0-9a-fA-F\s]+$|^[A-Za-z0-9+/=_\s-]+$/.test(text)) return 'report';
  return 'binary';
}

function setFiles(id: string, files: File[]): void {
  const dt = new DataTransfer();
  for (const f of files) dt.items.add(f);
  const i = $<HTMLInputElement>(id);
  i.files = dt.files;
  i.classList.toggle('has-file', files.length > 0);
}

async function dropFiles(files: File[], host: DropHost): Promise<void> {
  const rest: File[] = [];
  const notes: string[] = [];
  for (const f of files) {
    const kind = await sniff(f);
    if (kind === 'igvm') { setFiles('igvm', [f]); host.setKind('igvm'); notes.push(`${f.name}: IGVM file`); }
    else if (kind === 'manifest') { setFiles('manifest', [f]); host.setKind('regions'); notes.push(`${f.name}: manifest`); }
    else if (kind === 'report') { await host.report(f); notes.push(`${f.name}: attestation report`); }
    else rest.push(f);
  }
  if (rest.length) {
    if (host.kind() === 'regions') {
      setFiles('manifest-files', [...($<HTMLInputElement>('manifest-files').files ?? []), ...rest]);
      notes.push(`${rest.map((f) => f.name).join(', ')}: manifest files`);
    } else {
      setFiles('firmware', [rest[0]!]);
      host.setKind('ovmf');
      notes.push(`${rest[0]!.name}: OVMF firmware`);
      if (rest.length > 1) notes.push(`${rest.slice(1).map((f) => f.name).join(', ')}: not used (choose kernel, initrd or SVSM in their fields)`);
    }
  }
  host.status(`Dropped: ${notes.join('; ')}.`);
  host.measure();
}

export function installDrop(host: DropHost): void {
  let depth = 0;
  const hasFiles = (e: DragEvent): boolean => e.dataTransfer?.types.includes('Files') ?? false;
  document.addEventListener('dragenter', (e) => { if (hasFiles(e)) { depth++; document.body.classList.add('dragging'); } });
  document.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; document.body.classList.remove('dragging'); } });
  document.addEventListener('dragover', (e) => { if (hasFiles(e)) e.preventDefault(); });
  document.addEventListener('drop', (e) => {
    depth = 0;
    document.body.classList.remove('dragging');
    if ((e.target as HTMLElement).tagName === 'INPUT') return;
    e.preventDefault();
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length) void dropFiles(files, host);
  });
}
