@_exported import LongLiveModels
