import { createRoot } from 'react-dom/client';
import { Dashboard } from './Dashboard';
import { ErrorBoundary } from '../ErrorBoundary';
import '../style.css';

createRoot(document.getElementById('root')!).render(
  <ErrorBoundary>
    <Dashboard />
  </ErrorBoundary>,
);
