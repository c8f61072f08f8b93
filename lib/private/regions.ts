import { Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { closest } from './edit-distance';

/** Region names aws-cdk-lib knows (its `region-info` table), so a typo fails at synth rather than at deploy. */
function knownRegions(): string[] {
  return RegionInfo.regions.map((r) => r.name);
}

/** Whether `value` is a region aws-cdk-lib knows, or a token (which only deploy time can check). */
export function isRegionOrToken(value: unknown): value is string {
  return typeof value === 'string' && (Token.isUnresolved(value) || knownRegions().includes(value));
}

/**
 * What to append to a "must be a region name" error: the closest known region, and a hint for regions
 * newer than the installed aws-cdk-lib.
 */
export function regionHint(value: unknown, quote: '"' | "'" = "'"): string {
  if (typeof value !== 'string' || value === '') return '';
  const suggestion = closest(value.toLowerCase(), knownRegions());
  return (
    (suggestion ? `; did you mean ${quote}${suggestion}${quote}?` : '') +
    ' (a region newer than the installed aws-cdk-lib is unknown to it: upgrade aws-cdk-lib to use it)'
  );
}
