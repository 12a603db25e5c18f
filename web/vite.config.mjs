// Vite settings shared by `npm run build` (scripts/build.mjs passes the output directory) and
// `npm run dev:web` (a dev server with hot reload that forwards API calls to a running server).
export default {
  base: '/ui/',
  build: { assetsDir: 'assets' },
  server: {
    proxy: { '/api': process.env.MODELYARD_URL ?? 'http://127.0.0.1:8080' },
  },
};
