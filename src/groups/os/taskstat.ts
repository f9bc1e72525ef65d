/**
 * `os taskstat` (group 0, command 2) as grp/os_mgmt/src/os_mgmt.c os_mgmt_taskstat_read encodes
 * it, over the threads a Zephyr v3.5.0 smp_svr-like app on the virtual board has. Zephyr walks
 * k_thread_foreach, newest thread first (kernel/thread.c z_thread_monitor puts each new thread at
 * the head of _kernel.threads), and numbers them 0, 1, … as "tid"; "state" is
 * thread->base.thread_state (kernel/include/kthread.h bits: PENDING 2, SUSPENDED 16, QUEUED 128).
 */

import type { TaskstatBuild } from '../../device/server/build-config.ts';
import { defineCommand } from '../../smp/command.ts';
import { int, mapOf, optional, struct, uint } from '../../smp/schema.ts';
import { taskStat } from './models.ts';

export interface KernelThread {
  readonly name: string;
  readonly prio: number;
  /** thread->base.thread_state while the SMP work queue runs the taskstat handler. */
  readonly state: number;
  /** thread->stack_info.size in bytes. */
  readonly stackBytes: number;
}

const PENDING = 1 << 1;
const SUSPENDED = 1 << 4;
const QUEUED = 1 << 7;

/**
 * The app's threads in creation order, as seen from the SMP work queue: main (kernel/init.c,
 * CONFIG_MAIN_STACK_SIZE 2048 in smp_svr) sleeps in k_msleep, which z_tick_sleep marks
 * SUSPENDED; idle (priority CONFIG_NUM_PREEMPT_PRIORITIES = 15, never in the run queue);
 * sysworkq (kernel/system_work_q.c, priority −1, 2304 bytes in smp_svr) and logging
 * (subsys/logging/log_core.c, K_LOWEST_APPLICATION_THREAD_PRIO 14, 768 bytes) wait PENDING on
 * their queue and semaphore; "mcumgr smp" (smp/src/smp.c, CONFIG_MCUMGR_TRANSPORT_WORKQUEUE_*:
 * priority 3, 2048 bytes) is the thread answering, so it is the one in the run queue.
 */
export function smpServerThreads(mainRunning: boolean, udpTransport = false): KernelThread[] {
  const threads: KernelThread[] = [
    { name: 'main', prio: 0, state: SUSPENDED, stackBytes: 2048 },
    { name: 'idle', prio: 15, state: 0, stackBytes: 320 },
    { name: 'sysworkq', prio: -1, state: PENDING, stackBytes: 2304 },
    { name: 'logging', prio: 14, state: PENDING, stackBytes: 768 },
    { name: 'mcumgr smp', prio: 3, state: QUEUED, stackBytes: 2048 },
  ];
  if (udpTransport) {
    // transport/src/smp_udp.c smp_udp_open: one receive thread per address family (smp_svr's
    // overlay-udp.conf enables IPv4 and IPv6), CONFIG_MCUMGR_TRANSPORT_UDP_THREAD_PRIO 0 and
    // _STACK_SIZE 512 (Kconfig.udp), blocked in zsock_recvfrom. (The network stack's own threads
    // are not modelled.)
    threads.push(
      { name: 'smp_udp4', prio: 0, state: PENDING, stackBytes: 512 },
      { name: 'smp_udp6', prio: 0, state: PENDING, stackBytes: 512 },
    );
  }
  // A main() that returned has exited: its thread is gone from the list.
  return mainRunning ? threads : threads.filter((thread) => thread.name !== 'main');
}

/** One thread's entry; the optional fields follow the build's taskstat options. */
export interface TaskEntry {
  prio: number;
  tid: number;
  state: number;
  stksiz?: number;
  stkuse?: number;
  runtime?: number;
  cswcnt?: number;
  last_checkin?: number;
  next_checkin?: number;
}

/** The "tasks" map, each entry's keys in os_mgmt_taskstat_encode_one's order. */
export function encodeTasks(
  threads: readonly KernelThread[],
  build: TaskstatBuild,
): Record<string, TaskEntry> {
  const tasks: Record<string, TaskEntry> = {};
  const newestFirst = [...threads].reverse();
  newestFirst.forEach((thread, tid) => {
    const entry: TaskEntry = { prio: thread.prio, tid, state: thread.state };
    if (build.stackInfo) {
      // stack_info.size / 4; the use stays 0 without CONFIG_INIT_STACKS (off in smp_svr).
      entry.stksiz = Math.floor(thread.stackBytes / 4);
      entry.stkuse = 0;
    }
    if (!build.onlySupportedStats) {
      // No CONFIG_SCHED_THREAD_USAGE: runtime 0, and the fields Zephyr never collects as 0.
      entry.runtime = 0;
      entry.cswcnt = 0;
      entry.last_checkin = 0;
      entry.next_checkin = 0;
    }
    tasks[threadKey(thread, tid, build)] = entry;
  });
  return tasks;
}

/** os_mgmt_taskstat_encode_thread_name: the name, or the priority / index as a decimal string. */
function threadKey(thread: KernelThread, tid: number, build: TaskstatBuild): string {
  if (build.names === 'name') return thread.name;
  // CONFIG_MCUMGR_GRP_OS_TASKSTAT_THREAD_NAME_LEN defaults to 5 without CONFIG_THREAD_NAME.
  return String(build.names === 'prio' ? thread.prio : tid).slice(0, 5);
}

/** The taskstat command with each entry's keys in the order Zephyr writes them. */
export const taskStatAsEncoded = defineCommand({
  ...taskStat,
  request: {},
  response: {
    tasks: mapOf(
      struct({
        prio: int(),
        tid: uint(),
        state: uint(),
        stksiz: optional(uint()),
        stkuse: optional(uint()),
        runtime: optional(uint()),
        cswcnt: optional(uint()),
        last_checkin: optional(uint()),
        next_checkin: optional(uint()),
      }),
    ),
  },
});
