"""Everything DICOM: the storage SCP, slide opening, SEG/SR writers, export and synthetic WSI files."""
