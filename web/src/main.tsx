import { render } from 'preact';
import { App } from './App';
import './styles/base.css';
import './styles/layout.css';
import './styles/components.css';
import './styles/auth.css';
import './styles/dialog.css';
import './styles/fiscal.css';
import './styles/integrations.css';
import './styles/billing.css';
import './styles/team.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
