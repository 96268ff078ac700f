//! Reduced dynamics of MODEL.md 3-4: the exact finite-N reduction of a loaded network and the
//! population mean field, behind one small interface.
