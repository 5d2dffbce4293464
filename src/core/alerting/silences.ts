// Silences mute notifications by rule and/or key until they expire. They come from the config
// (ALERT_SILENCES) and from the `silences` table (the API creates them). A null rule or key
// matches any; a silence with neither mutes everything until it expires.

export interface Silence {
  /** recorded on each anomaly it mutes (`silenced_by`) */
  id: string
  rule: string | null
  key: string | null
  expiresAtMs: number
  comment: string
  createdBy: string
}

/** The first silence that mutes this rule and key at `nowMs`, if any. Expired silences never match. */
export function findSilence(
  silences: readonly Silence[],
  anomaly: { rule: string; key: string },
  nowMs: number,
): Silence | undefined {
  return silences.find(
    (s) =>
      s.expiresAtMs > nowMs &&
      (s.rule === null || s.rule === anomaly.rule) &&
      (s.key === null || s.key === anomaly.key),
  )
}
