"""Everything DICOM: the SCP, slide opening, SEG/SR writers, export, synthetic WSI files."""
