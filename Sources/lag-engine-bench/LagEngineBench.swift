@main
struct LagEngineBench {
    static func main() {}
}
