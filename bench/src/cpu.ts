import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

export interface CpuGroup {
  name: string;
  /** Whether a process, by its pid and command line, belongs to this group. */
  matches(pid: number, commandLine: string): boolean;
}

export type CpuSnapshot = Map<string, number>;

/**
 * CPU seconds used so far by each group of processes, read from /proc (Linux only; elsewhere empty).
 * CPU time, unlike throughput, barely moves when the machine is shared: it is what a job costs.
 */
export function cpuSnapshot(groups: readonly CpuGroup[]): CpuSnapshot {
  const totals: CpuSnapshot = new Map(groups.map((group) => [group.name, 0]));
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return totals;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let commandLine: string;
    let stat: string;
    try {
      commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited between the listing and the read
    }
    const group = groups.find((candidate) => candidate.matches(pid, commandLine));
    if (!group) continue;
    // Fields after the parenthesised command name: state is the 1st, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    totals.set(group.name, (totals.get(group.name) ?? 0) + ticks / TICKS_PER_SECOND);
  }
  return totals;
}

/** CPU seconds each group used between two snapshots. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  return new Map([...after].map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)]));
}

export const cpuGroups = {
  pid: (name: string, pid: number | undefined): CpuGroup => ({
    name,
    matches: (candidate) => candidate === pid,
  }),
  /** PostgreSQL backends serving one database (their process title names it). */
  postgresDatabase: (name: string, database: string): CpuGroup => ({
    name,
    matches: (_, commandLine) =>
      commandLine.startsWith('postgres: ') && commandLine.includes(` ${database} `),
  }),
  command: (name: string, pattern: RegExp): CpuGroup => ({
    name,
    matches: (_, commandLine) => pattern.test(commandLine),
  }),
};
