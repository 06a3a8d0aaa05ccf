@_exported import LongLiveEngine
