// Saves a Blob as a file: the export is fetched with the key in a header (never in a URL a
// plain link would need), then handed to the browser as an object URL.
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
