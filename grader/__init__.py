"""bpdrill's grader: submissions in, verdicts, gradebook and feedback out."""
