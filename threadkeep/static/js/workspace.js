// placeholder: being written
export function initWorkspace(root) {
  return Promise.resolve();
}
