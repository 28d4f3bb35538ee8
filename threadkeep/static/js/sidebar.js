// placeholder: being written
export function initSidebar(root) {
  return Promise.resolve();
}
