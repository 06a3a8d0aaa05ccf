@_exported import LongLiveTensor
