/**
 * Host output in the one section format (src/facts/sections.ts), for pure parser tests written by
 * hand: { name: 'text' } (exit code 0, or 1 when the text is empty: a test like `[ -f x ] && echo yes`)
 * or { name: { out, rc } }; `token`: markers as a live run prints them (hex). Recorded output goes in fixture files instead.
 */
export function sectionsOutput(s: Record<string, string | { out: string; rc: number }>, token?: string): string {
  const tok = token ? ` #${token}` : '';
  return Object.entries(s)
    .map(([name, v]) => {
      const { out, rc } = typeof v === 'string' ? { out: v, rc: v ? 0 : 1 } : v;
      return `\n@@kvplay-section ${name}${tok}\n${out}${out ? '\n' : ''}\n@@kvplay-section-rc ${name} ${rc}${tok}\n`;
    })
    .join('');
}
