/**
 * How a virtual board's app is built with Zephyr's hawkBit client (subsys/mgmt/hawkbit, the
 * samples/subsys/mgmt/hawkbit app): the server, the DDI security choice and token, the first poll
 * interval, and what the virtual board adds for rehearsals (faster time, a broken link, an app
 * that never confirms). Pure: no Node imports.
 */
import type { DdiAuth } from '../../fleet/ddi/client.ts';

/** CONFIG_HAWKBIT_POLL_INTERVAL's default (subsys/mgmt/hawkbit/Kconfig): 5 minutes. */
export const HAWKBIT_POLL_INTERVAL_MS = 5 * 60 * 1000;

/** An event of the client, for whoever watches the board (the fleet's one line per event). */
export type HawkbitEventKind =
  | 'poll'
  | 'no-update'
  | 'config-data'
  | 'download'
  | 'installed'
  | 'success'
  | 'failure'
  | 'cancelled'
  | 'unconfirmed'
  | 'confirmed'
  | 'error';

export interface HawkbitEvent {
  readonly kind: HawkbitEventKind;
  /** The hawkBit action it is about, when there is one. */
  readonly actionId?: string;
  /** What happened, in words (the same words go into failure feedback). */
  readonly message: string;
}

export interface HawkbitBuild {
  /** CONFIG_HAWKBIT_SERVER and CONFIG_HAWKBIT_PORT as a URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /**
   * The tenant of the client's own request paths (HAWKBIT_JSON_URL: "/DEFAULT/controller/v1" in
   * v3.5; CONFIG_HAWKBIT_TENANT later). Download links must still be under DEFAULT.
   */
  readonly tenant?: string;
  /**
   * CONFIG_HAWKBIT_DDI_NO_SECURITY / _TARGET_SECURITY / _GATEWAY_SECURITY with
   * CONFIG_HAWKBIT_DDI_SECURITY_TOKEN.
   */
  readonly auth: DdiAuth;
  /** First poll interval, until the server's config.polling.sleep (default 5 min). */
  readonly pollIntervalMs?: number;
  /**
   * Scale for the client's waits (its poll sleep): 1 as built, 0.01 makes a "00:00:10" sleep
   * 100 ms, for tests. The server's sleep is still what is read and reported.
   */
  readonly timeScale?: number;
  /**
   * false: the app never confirms its image (it never reaches hawkbit_init's confirm), so the
   * client refuses to poll and reboots, and MCUboot reverts a test image. Default true, as
   * Zephyr's sample: hawkbit_init confirms the running image.
   */
  readonly appConfirms?: boolean;
  /**
   * Report failures as closed/failure feedback with the reason in words (default true). Zephyr's
   * client only logs them (and retries at the next poll); see client.ts.
   */
  readonly failureFeedback?: boolean;
  /** The HTTP client the board's network stack stands for (a fleet breaks it for link-lost). */
  readonly fetch?: typeof fetch;
  /** Each request's time limit, ms (HAWKBIT_RECV_TIMEOUT is 300 s; default 10 s). */
  readonly timeoutMs?: number;
  /** Called on each event of the client. */
  readonly onEvent?: (event: HawkbitEvent) => void;
}
