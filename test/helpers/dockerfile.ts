// A small Dockerfile reader for the deploy tests (no Docker here): instructions with continuation lines
// joined, ARG defaults substituted, and the forms the tests look at (exec-form JSON, ENV pairs, COPY).
import fs from 'node:fs';

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ENV, ... */
  keyword: string;
  /** The rest of the line, continuations joined with a space. */
  rest: string;
  /** Index of the build stage (FROM count - 1; -1 before the first FROM). */
  stage: number;
  /** The stage's `AS` name, if any. */
  stageName?: string;
}

export function readDockerfile(file: string): Instruction[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: Instruction[] = [];
  let stage = -1;
  let stageName: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: cannot read '${line}'`);
    const keyword = m[1]!.toUpperCase();
    if (keyword === 'FROM') {
      stage++;
      stageName = /\s+AS\s+(\S+)\s*$/i.exec(m[2]!)?.[1];
    }
    out.push({ keyword, rest: m[2]!.trim(), stage, ...(stageName ? { stageName } : {}) });
  }
  return out;
}

/** An exec-form (JSON array) argument list, or an error naming the instruction. */
export function execForm(ins: Instruction): string[] {
  const json = ins.keyword === 'HEALTHCHECK' ? ins.rest.replace(/^.*?\bCMD\s+/, '') : ins.rest;
  const args: unknown = JSON.parse(json);
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new Error(`${ins.keyword} is not in exec form: ${ins.rest}`);
  return args;
}

/** ENV KEY=VALUE pairs (values without spaces or quotes, as ours are). */
export function envPairs(ins: Instruction): Record<string, string> {
  return Object.fromEntries(ins.rest.split(/\s+/).map((kv) => {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new Error(`ENV in KEY=VALUE form expected: ${kv}`);
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  }));
}

export interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

export function copyArgs(ins: Instruction): Copy {
  const words = ins.rest.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1)! };
}
