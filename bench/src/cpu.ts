import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

export interface CpuGroup {
  name: string;
  /** Whether a process, by its pid and command line, belongs to this group. */
  matches(pid: number, commandLine: string): boolean;
}

/** CPU seconds used so far by every process, with its command line. */
export type CpuSnapshot = Map<number, { commandLine: string; seconds: number }>;

/**
 * CPU seconds used so far by each process, read from /proc (Linux only; elsewhere empty). CPU time, unlike
 * throughput, barely moves when the machine is shared: it is what a job costs.
 */
export function cpuSnapshot(): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return snapshot;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the parenthesised command name: state is the 1st, utime the 12th, stime the 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      snapshot.set(pid, {
        commandLine,
        seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
      });
    } catch {
      // exited between the listing and the read
    }
  }
  return snapshot;
}

/**
 * CPU seconds each group used between two snapshots; a process counts in the first group it matches. A
 * process that ended in between is not counted.
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, groups: readonly CpuGroup[]) {
  const used = new Map(groups.map((group) => [group.name, 0]));
  for (const [pid, { commandLine, seconds }] of after) {
    const group = groups.find((candidate) => candidate.matches(pid, commandLine));
    if (group) used.set(group.name, (used.get(group.name) ?? 0) + seconds - (before.get(pid)?.seconds ?? 0));
  }
  return used;
}

export const cpuGroups = {
  pids: (name: string, pids: ReadonlySet<number | undefined>): CpuGroup => ({
    name,
    matches: (pid) => pids.has(pid),
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

/**
 * CPU seconds the whole machine has been busy so far, over all its cores: every process and the kernel
 * (/proc/stat: all time but idle and iowait). Linux only; 0 elsewhere.
 */
export function machineBusySeconds(): number {
  try {
    const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
    const ticks = (cpu ?? '').trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}
