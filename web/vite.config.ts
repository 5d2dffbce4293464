// Builds the dashboard into web/dist, which the API server serves at `/`. In development
// (`npm run dev:web`) API calls go to the server on API_PORT (default 8080).
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const apiOrigin = `http://127.0.0.1:${process.env['API_PORT'] ?? '8080'}`

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 350,
  },
  server: {
    proxy: {
      '/api': { target: apiOrigin, changeOrigin: false },
      '/healthz': apiOrigin,
      '/readyz': apiOrigin,
    },
  },
})
