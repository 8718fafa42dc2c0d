// Writes every rendered message (JSON files named on the command line) into
// one TypeScript file, each typed with Slack's own @slack/types, runs
// `tsc --noEmit --strict` on it, and prints TAP: one line per message, then a
// negative control proving that a message Slack's types refuse fails.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tsc = join(here, 'node_modules', 'typescript', 'bin', 'tsc');

// The chat.postMessage arguments the module sends (the channel is added at
// delivery time): every block must be one of Slack's KnownBlock types, and
// object literals get TypeScript's excess-property checks all the way down.
const preamble = `import type { KnownBlock } from '@slack/types';

interface PostMessage {
  channel?: string;
  text: string;
  blocks: KnownBlock[];
  unfurl_links: boolean;
  unfurl_media: boolean;
}
`;

function declare(name, json) {
  return `export const ${name}: PostMessage = ${JSON.stringify(json, null, 2)};\n`;
}

// Compiles SOURCE; returns the error lines per message name.
function compile(dir, file, source, ranges) {
  const path = join(dir, file);
  writeFileSync(path, source);
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022',
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--pretty', 'false', path],
    { cwd: here, encoding: 'utf8' });
  } catch (e) {
    output = `${e.stdout || ''}${e.stderr || ''}`;
  }
  // Errors anywhere else than in a message (the preamble, @slack/types
  // itself, the compiler's options) mean the check cannot be trusted.
  const errors = new Map();
  for (const line of output.split('\n').filter((l) => l.includes('error TS'))) {
    // tsc names the file relative to its working directory.
    const m = line.match(new RegExp(`^(?:.*/)?${file.replace('.', '\\.')}\\((\\d+),\\d+\\): error`));
    const at = m ? Number(m[1]) : 0;
    const owner = ranges.find((r) => at >= r.first && at <= r.last);
    const key = owner ? owner.name : '(setup)';
    errors.set(key, [...(errors.get(key) || []), line]);
  }
  return errors;
}

const files = process.argv.slice(2);
// Generated under node_modules (ignored by git) so that '@slack/types'
// resolves from there.
const work = mkdtempSync(join(here, 'node_modules', '.nxs-check-'));
let source = preamble;
const ranges = [];
files.forEach((f, i) => {
  const first = source.split('\n').length;
  source += `// ${basename(f)}\n` + declare(`m${i}`, JSON.parse(readFileSync(f, 'utf8')));
  ranges.push({ name: basename(f), first, last: source.split('\n').length - 1 });
});

console.log(`1..${files.length + 1}`);
let failed = 0;
const errors = compile(work, 'nxs_rendered_messages.ts', source, ranges);
if (errors.has('(setup)')) {
  console.log(`Bail out! the check itself does not compile:\n# ${errors.get('(setup)').join('\n# ')}`);
  process.exit(1);
}
ranges.forEach((r, i) => {
  const errs = errors.get(r.name);
  console.log(`${errs ? 'not ok' : 'ok'} ${i + 1} - ${r.name} is a valid chat.postMessage for @slack/types`);
  if (errs) {
    failed++;
    for (const e of errs) console.log(`# ${e}`);
  }
});

// Negative control: the first message with a mrkdwn header (Slack wants
// plain_text there) must be refused, or this check proves nothing.
const broken = JSON.parse(readFileSync(files[0], 'utf8'));
broken.blocks[0].text.type = 'mrkdwn';
const control = compile(work, 'nxs_negative_control.ts', preamble + declare('broken', broken),
  [{ name: 'broken', first: preamble.split('\n').length, last: Infinity }]);
const refused = control.size === 1 && control.has('broken');
console.log(`${refused ? 'ok' : 'not ok'} ${files.length + 1} - a header with mrkdwn text is refused (negative control)`);
failed += refused ? 0 : 1;

rmSync(work, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
