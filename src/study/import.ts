// Records from a results file (bench/results/study-<name>.json, which holds every run and teacher record) into
// a state folder, so that a study committed from one machine can be extended on another: the state folder is
// not in the repository, the results file is. Teachers' weights are not in the results file, so a teacher an
// extension needs is trained again (runs are deterministic for their seed; the runner says when a retrained
// teacher does not match its imported record). Records the folder already has are kept; records of arms or
// teachers this config does not have, or has with other settings, are skipped and counted.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { trainingSpec, type StudyConfig } from './config.js';
import { runFile, studyContext, teacherFile, type RunRecord, type TeacherRecord } from './runner.js';

export interface ImportCount {
  runs: number;
  teachers: number;
  /** Already in the state folder. */
  present: number;
  /** Not in this config, or there with other settings. */
  skipped: number;
}

export async function importRecords(config: StudyConfig, resultsFile: string, dir: string): Promise<ImportCount> {
  let parsed: { runs?: RunRecord[]; teachers?: TeacherRecord[] };
  try {
    parsed = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as typeof parsed;
  } catch (err) {
    throw new Error(`${resultsFile}: cannot read a study results file (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed.runs) || !Array.isArray(parsed.teachers)) throw new Error(`${resultsFile}: not a study results file (no runs and teachers arrays)`);
  const context = JSON.stringify(studyContext(config));
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const count: ImportCount = { runs: 0, teachers: 0, present: 0, skipped: 0 };
  const put = async (file: string, record: object, kind: 'runs' | 'teachers') => {
    if (fs.existsSync(file)) return void count.present++;
    await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
    count[kind]++;
  };
  fs.mkdirSync(path.join(dir, 'runs'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'teachers'), { recursive: true });
  for (const r of parsed.runs) {
    const arm = config.arms.find((a) => a.name === r.arm);
    if (!arm || !same(trainingSpec(arm), trainingSpec(r.spec)) || JSON.stringify(r.context) !== context || !(r.seed >= 1 && r.seed <= config.seeds)) count.skipped++;
    else await put(runFile(dir, r.arm, r.seed), r, 'runs');
  }
  for (const t of parsed.teachers) {
    const spec = config.teachers[t.teacher];
    if (!spec || !same(spec, t.spec) || JSON.stringify(t.context) !== context || !(t.seed >= 1 && t.seed <= config.seeds)) count.skipped++;
    else await put(teacherFile(dir, t.teacher, t.seed), t, 'teachers');
  }
  return count;
}
