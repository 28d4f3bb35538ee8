// placeholder: being written
export function initChat(root) {
  return Promise.resolve();
}
