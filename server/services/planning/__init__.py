"""Plans, tasks and their rules, running a task's draw, supplementary draws (补抽/递补), and closing a task."""
