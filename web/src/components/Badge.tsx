/** A status pill; the text says the state, the colour only repeats it. */
export function Badge({ tone, children }: { readonly tone: string; readonly children: string }) {
  return <span className={`badge ${tone}`}>{children}</span>;
}
