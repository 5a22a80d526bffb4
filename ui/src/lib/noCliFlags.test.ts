// Messages speak the language of where they appear: nothing the app shows (the Rust side's
// strings in src-tauri/src, the UI's strings and markup in ui/src) tells a person to pass a
// command-line option. Comments and CSS (custom properties are `--lk-…`) are not shown, so
// they are left out, and so are Rust unit tests; every other string literal and every piece
// of markup text is looked at.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const UI = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const REPO = resolve(UI, '..');

function files(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, exts));
    else if (exts.some((e) => name.endsWith(e)) && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** A command-line option: `--` and a letter, not a CSS custom property of ours. */
const FLAG = /(?<![\w-])--(?!lk-)[a-z][a-z0-9-]*/g;

/** Code with its comments blanked (string literals kept as they are). */
function stripComments(code: string): string {
  let out = '';
  let i = 0;
  while (i < code.length) {
    const c = code[i];
    const two = code.slice(i, i + 2);
    if (two === '//') {
      while (i < code.length && code[i] !== '\n') i++;
    } else if (two === '/*') {
      const end = code.indexOf('*/', i + 2);
      i = end < 0 ? code.length : end + 2;
    } else if (c === '"' || c === "'" || c === '`') {
      // Rust lifetimes and chars ('a, 'x') are short; a quote with no close on the line is not a string.
      let j = i + 1;
      while (j < code.length && code[j] !== c && !(c !== '`' && code[j] === '\n')) j += code[j] === '\\' ? 2 : 1;
      out += code.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The string literals of some code (comments left out). */
function literals(code: string): string[] {
  const src = stripComments(code);
  return [...src.matchAll(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g)].map((m) => m[0]);
}

/** What a file shows people: its string literals, and for Svelte also its markup text. */
function shown(path: string): string[] {
  let text = readFileSync(path, 'utf8');
  // A Rust file's unit tests (its `#[cfg(test)]` module, at the end) show nothing to people.
  if (path.endsWith('.rs') && text.includes('#[cfg(test)]')) text = text.slice(0, text.indexOf('#[cfg(test)]'));
  if (!path.endsWith('.svelte')) return literals(text);
  const scripts = [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].flatMap((m) => literals(m[1]));
  const markup = text
    .replace(/<script[^>]*>[\s\S]*?<\/script>/g, '')
    .replace(/<style[^>]*>[\s\S]*?<\/style>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '');
  return [...scripts, markup];
}

function offenders(paths: string[]): string[] {
  return paths.flatMap((p) =>
    shown(p).flatMap((s) => [...s.matchAll(FLAG)].map((m) => `${relative(REPO, p)}: ${m[0]} in ${s.slice(0, 120)}`)),
  );
}

describe('no command-line options in what the app says', () => {
  it('finds a flag where there is one (the check works)', () => {
    expect(literals('let a = "run with --secret-store file"; // --not-this').join()).toMatch(FLAG);
    expect(literals('x = 1; // pass --flag').join().match(FLAG)).toBeNull();
    expect(literals('i--; --i; el.style.setProperty("--lk-top", "0")').join().match(FLAG)).toBeNull();
  });

  it('src-tauri/src: no string mentions one', () => {
    const rs = files(join(REPO, 'src-tauri', 'src'), ['.rs']);
    expect(rs.length).toBeGreaterThan(10);
    expect(offenders(rs)).toEqual([]);
  });

  it('ui/src: no string or markup text mentions one', () => {
    const ui = files(join(UI, 'src'), ['.ts', '.svelte']);
    expect(ui.length).toBeGreaterThan(20);
    expect(offenders(ui)).toEqual([]);
  });
});
