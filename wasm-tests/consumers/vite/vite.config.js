// No arag-specific configuration: the package must work with Vite's defaults.
export default {};
