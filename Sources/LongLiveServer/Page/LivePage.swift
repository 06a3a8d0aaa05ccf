/// placeholder
enum LivePage { static let html = "<html></html>" }
