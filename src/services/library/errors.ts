/** The message of a caught value, for a status line. */
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
