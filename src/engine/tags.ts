/** Tag selection, as ansible-playbook does it (--tags / --skip-tags, always, never, tagged, untagged, all). */
export function tagsSelected(tags: string[], opts: { tags: string[]; skipTags: string[] }): boolean {
  const t = new Set(tags);
  const matches = (w: string) => t.has(w) || (w === 'tagged' && t.size > 0) || (w === 'untagged' && t.size === 0) || w === 'all';
  if (opts.skipTags.some((s) => (s === 'all' ? true : matches(s)))) return false;
  if (t.has('always')) return true;
  if (!opts.tags.length) return !t.has('never');
  if (t.has('never') && !opts.tags.some((w) => w !== 'all' && t.has(w))) return false;
  return opts.tags.some(matches);
}
