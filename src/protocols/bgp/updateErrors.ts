// RFC 7606 revised error handling: the UPDATE errors that do not reset the session. The decoder records each as an
// UpdateError on the message (never encoded); errors that still call for a session reset are thrown as
// BgpDecodeError with their NOTIFICATION, as before. Handling, weakest first:
//   attributeDiscard  the attribute is dropped, the UPDATE is processed without it (RFC 7606 2)
//   treatAsWithdraw   every route the UPDATE announces is taken as withdrawn (RFC 7606 2)
//   afiSafiDisable    routes of that AFI/SAFI are ignored for the rest of the session (RFC 4760 7, RFC 7606 7.11)
// Which error gets which: attributeDecoder.ts and update.ts (RFC 7606 3, 4, 5.3, 7; RFC 6793 6; RFC 8092 6; RFC 8950).
// With several errors in one UPDATE the strongest applies (RFC 7606 3): a disabled family's routes are ignored, any
// treat-as-withdraw withdraws the rest, a discard changes nothing that is counted (routeCounts in update.ts).

export type UpdateErrorHandling = "attributeDiscard" | "treatAsWithdraw" | "afiSafiDisable";

/** Stable names of the cases, one counter each. */
export type UpdateErrorKind =
  | "attributeFlags"
  | "attributeOverrun"
  | "repeatedAttribute"
  | "missingWellKnown"
  | "malformedOrigin"
  | "malformedAsPath"
  | "invalidNextHop"
  | "malformedMed"
  | "malformedLocalPref"
  | "malformedAtomicAggregate"
  | "malformedAggregator"
  | "malformedCommunities"
  | "malformedLargeCommunities"
  | "malformedAs4Path"
  | "malformedAs4Aggregator"
  | "malformedMpReach"
  | "malformedMpUnreach"
  | "ipv6NextHopWithoutExtendedNextHop";

export interface UpdateError {
  readonly kind: UpdateErrorKind;
  readonly handling: UpdateErrorHandling;
  /** What was wrong and where (attribute, value). */
  readonly detail: string;
  /** Absolute offset in the message of the attribute or field in error. */
  readonly offset: number;
  /** afiSafiDisable: the address family to ignore for the rest of the session. */
  readonly afi?: number;
  readonly safi?: number;
}

/** Whether the UPDATE's announcements are to be taken as withdrawals (any treat-as-withdraw error). */
export function treatedAsWithdraw(errors: readonly UpdateError[] | undefined): boolean {
  return (errors ?? []).some((e) => e.handling === "treatAsWithdraw");
}

/** The "afi/safi" keys an UPDATE's errors disable for the rest of the session. */
export function disabledFamilies(errors: readonly UpdateError[] | undefined): string[] {
  return (errors ?? []).filter((e) => e.handling === "afiSafiDisable" && e.afi !== undefined).map((e) => familyKey(e.afi as number, e.safi ?? 1));
}

export const familyKey = (afi: number, safi: number): string => `${afi}/${safi}`;
