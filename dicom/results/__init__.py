"""The result writers: SEG, SR, annotations, their UIDs and the files they return."""
