import { Token } from 'aws-cdk-lib';

/** One region's half of a replication pair, as the app-level cross-check sees it. */
export interface PairHalf {
  readonly path: string;
  readonly region: string;
  readonly account: string;
  readonly peerRegion: string;
  readonly tableName: string;
  /** Region whose stack owns the journal's global table, as this half believes. */
  readonly owningRegion: string;
}

const known = (value: string) => !Token.isUnresolved(value);

/** Whether `other` is deployed where `half` expects its peer: the peer region, in the same account when both are known. */
function atPeer(half: PairHalf, other: PairHalf): boolean {
  if (!known(other.region) || other.region !== half.peerRegion) return false;
  return !(known(half.account) && known(other.account) && half.account !== other.account);
}

interface PairProblem {
  readonly message: string;
  /** Whether the peer finds the same problem (then only the half with the smaller path reports it). */
  readonly mutual: boolean;
}

function problemsWith(half: PairHalf, peer: PairHalf): PairProblem[] {
  if (peer.peerRegion !== half.region) {
    const message =
      `${half.path} (in ${half.region}) has peerRegion '${half.peerRegion}', but ${peer.path} there has peerRegion '${peer.peerRegion}': ` +
      "the two halves of a pair must name each other's region";
    return [{ message, mutual: false }];
  }
  const problems: PairProblem[] = [];
  if (half.tableName !== peer.tableName) {
    const message =
      `${half.path} uses journal table '${half.tableName}' and its peer ${peer.path} uses '${peer.tableName}': ` +
      'both halves of a pair must name the same table (journalProps.tableName)';
    problems.push({ message, mutual: true });
  }
  const owns = (h: PairHalf) => h.owningRegion === h.region;
  if (owns(half) && owns(peer)) {
    const message =
      `${half.path} and its peer ${peer.path} both own the journal (ownsJournal: true): exactly one region of a pair ` +
      'creates the global table; set ownsJournal: false in the other';
    problems.push({ message, mutual: true });
  } else if (half.owningRegion === peer.region && peer.owningRegion === half.region) {
    const message =
      `neither ${half.path} nor its peer ${peer.path} owns the journal (ownsJournal: false in both): ` +
      'set ownsJournal: true in the region whose stack creates the global table';
    problems.push({ message, mutual: true });
  }
  return problems;
}

/**
 * Cross-checks one half against the other replication constructs of the app: when its peer region holds
 * some, at least one must be its consistent other half (names this region back, same table, exactly one
 * owner). Returns nothing when the peer is not in this app, or a region is a token.
 */
export function pairProblems(half: PairHalf, others: readonly PairHalf[]): string[] {
  if (!known(half.region) || !known(half.peerRegion)) return [];
  const byPeer = others.filter((o) => atPeer(half, o)).map((peer) => ({ peer, problems: problemsWith(half, peer) }));
  // Another pipeline may share the peer region (a second fleet): one consistent partner is enough.
  if (byPeer.length === 0 || byPeer.some((p) => p.problems.length === 0)) return [];
  return byPeer.flatMap(({ peer, problems }) => problems.filter((p) => !p.mutual || half.path < peer.path).map((p) => p.message));
}
