// docs/API.md from proto/fspd/v1: every service with its RPCs, every message with its fields and every
// enum with its values, each with the comment the proto gives it (buf lint requires one everywhere).
// Written by `npm run gen` (scripts/gen.mjs); test/gen.test.ts fails when it is stale.
import path from 'node:path';
import protobuf from 'protobufjs';

/** The Markdown of the protos under protoDir (paths relative to it, e.g. fspd/v1/types.proto). */
export function apiMarkdown(protoDir, protos) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(protoDir, target);
  root.loadSync(protos, { keepCase: true, alternateCommentMode: true, preferTrailingComment: false });
  const pkg = root.lookup('fspd.v1');
  const byFile = new Map();
  for (const item of pkg.nestedArray) {
    const file = path.relative(protoDir, item.filename);
    if (!byFile.has(file)) byFile.set(file, []);
    byFile.get(file).push(item);
  }
  const out = [
    '# fspd API (`fspd.v1`)',
    '',
    'Generated from `proto/fspd/v1` by `npm run gen` (scripts/api-doc.mjs); do not edit. The proto files are',
    'the contract; this is their comments in one place. Errors are gRPC status codes with a message naming the',
    'request field (e.g. `student[1].second.shape`) and machine-readable details (`google.rpc.ErrorInfo`,',
    '`BadRequest`, `RetryInfo`): see enum ErrorReason in fspd/v1/errors.proto.',
  ];
  for (const file of [...byFile.keys()].sort()) {
    const items = byFile.get(file);
    out.push('', `## ${file}`);
    for (const s of items.filter((i) => i instanceof protobuf.Service)) {
      out.push('', `### service ${s.name}`, '', text(s.comment), '', '| RPC | request → response | what |', '| --- | --- | --- |');
      for (const m of s.methodsArray) {
        const req = `${m.requestStream ? 'stream ' : ''}${m.requestType}`;
        const res = `${m.responseStream ? 'stream ' : ''}${m.responseType}`;
        out.push(`| ${m.name} | ${req} → ${res} | ${cell(m.comment)} |`);
      }
    }
    for (const t of items.filter((i) => i instanceof protobuf.Type)) {
      out.push('', `### message ${t.name}`, '', text(t.comment));
      if (t.fieldsArray.length === 0) continue;
      out.push('', '| # | field | type | what |', '| --- | --- | --- | --- |');
      for (const f of [...t.fieldsArray].sort((a, b) => a.id - b.id)) {
        const type = `${f.repeated ? 'repeated ' : f.options?.proto3_optional ? 'optional ' : ''}${f.map ? `map<${f.keyType}, ${f.type}>` : f.type}`;
        const oneof = f.partOf && !f.partOf.name.startsWith('_') ? ` (oneof ${f.partOf.name})` : '';
        out.push(`| ${f.id} | ${f.name}${oneof} | ${type} | ${cell(f.comment)} |`);
      }
    }
    for (const e of items.filter((i) => i instanceof protobuf.Enum)) {
      out.push('', `### enum ${e.name}`, '', text(e.comment), '', '| value | name | what |', '| --- | --- | --- |');
      for (const [name, id] of Object.entries(e.values)) out.push(`| ${id} | ${name} | ${cell(e.comments[name])} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

const text = (comment) => (comment ?? '').trim();
const cell = (comment) => text(comment).replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
