/**
 * Per-device target tokens from a file: a JSON object `{"controllerId": "token", …}` or lines
 * `controllerId token` (blank lines and # comments skipped). Each device then authenticates as
 * itself (hawkBit: Authorization: TargetToken …), as Zephyr's client does with
 * CONFIG_HAWKBIT_DDI_TARGET_SECURITY. Pure module.
 */
import { GatewayError } from './types.ts';

export function parseTargetTokens(text: string, file: string): Map<string, string> {
  const tokens = new Map<string, string>();
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new GatewayError(`the target token file ${file} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new GatewayError(
        `the target token file ${file} must hold one JSON object of controllerId → token`,
      );
    }
    for (const [id, token] of Object.entries(parsed)) {
      if (typeof token !== 'string' || token === '') {
        throw new GatewayError(
          `the target token file ${file} gives controller "${id}" no token (a non-empty string)`,
        );
      }
      tokens.set(id, token);
    }
    return tokens;
  }
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const words = line.split(/\s+/);
    if (words.length !== 2) {
      throw new GatewayError(
        `line ${index + 1} of the target token file ${file} is not "controllerId token" (it has ${words.length} words)`,
      );
    }
    const [id, token] = words as [string, string];
    if (tokens.has(id))
      throw new GatewayError(`the target token file ${file} names controller "${id}" twice`);
    tokens.set(id, token);
  });
  return tokens;
}
