// Keyboard helpers shared by screens with shortcuts.
/** True when a key press belongs to a text field rather than to a shortcut. */
export function isTyping(e: KeyboardEvent) {
  const t = e.target;
  return t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));
}
