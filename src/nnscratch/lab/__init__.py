"""The learning lab: the step-by-step trace, the plots and the course's exercises."""
