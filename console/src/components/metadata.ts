/** Identity metadata as the form edits it: one `key=value` per line. */
export function metadataToText(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
}

/** The object the API takes; a line without `=` becomes a key with an empty value so the API can name it. */
export function textToMetadata(text: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const at = line.indexOf('=');
    if (at < 0) metadata[line.trim()] = '';
    else metadata[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return metadata;
}
