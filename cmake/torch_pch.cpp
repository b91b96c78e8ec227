// The translation unit that builds the LibTorch precompiled header (cmake/layers.cmake).
