// Entry point of the run page (web/README in docs/decisions.md, "Run page").
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import './styles.css';

createRoot(document.getElementById('root')!).render(<App />);
