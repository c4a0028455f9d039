// shapes.cpp - implementations for the Shape hierarchy and the factory.
#include "shapes.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

#define SQUARE(x) ((x) * (x))

namespace {

constexpr double kPi = 3.14159265358979323846;

void require_positive(double v, const char* what)
{
    if (!(v > 0.0))
        throw sample::ShapeError(std::string(what) + " must be positive");
}

} // namespace

namespace sample {

std::string Shape::describe() const
{
    std::ostringstream out;
    out << name() << ": area=" << std::fixed << std::setprecision(3) << area()
        << " perimeter=" << perimeter();
    return out.str();
}

Circle::Circle(double radius) : radius_(radius)
{
    require_positive(radius, "radius");
}

double Circle::area() const
{
    return kPi * SQUARE(radius_);
}

double Circle::perimeter() const
{
    return 2 * kPi * radius_;
}

Rectangle::Rectangle(double width, double height) : width_(width), height_(height)
{
    require_positive(width, "width");
    require_positive(height, "height");
}

Triangle::Triangle(double a, double b, double c) : a_(a), b_(b), c_(c)
{
    require_positive(a, "side a");
    require_positive(b, "side b");
    require_positive(c, "side c");
    if (a + b <= c || a + c <= b || b + c <= a)
        throw ShapeError("triangle inequality violated");
}

double Triangle::area() const
{
    const double s = perimeter() / 2;
    return std::sqrt(s * (s - a_) * (s - b_) * (s - c_)); // Heron
}

std::unique_ptr<Shape> make_shape(const std::string& spec)
{
    std::istringstream in(spec);
    std::string kind;
    in >> kind;
    std::vector<double> dims;
    for (double d; in >> d;)
        dims.push_back(d);
    if (!in.eof())
        throw ShapeError("bad number in '" + spec + "'");

    auto need = [&](std::size_t n) {
        if (dims.size() != n)
            throw ShapeError("'" + kind + "' needs " + std::to_string(n) + " dimension(s)");
    };

    if (kind == "circle") {
        need(1);
        return std::make_unique<Circle>(dims[0]);
    }
    if (kind == "rect") {
        need(2);
        return std::make_unique<Rectangle>(dims[0], dims[1]);
    }
    if (kind == "square") {
        need(1);
        return std::make_unique<Square>(dims[0]);
    }
    if (kind == "tri") {
        need(3);
        return std::make_unique<Triangle>(dims[0], dims[1], dims[2]);
    }
    throw ShapeError("unknown shape '" + kind + "'");
}

std::vector<std::unique_ptr<Shape>> make_shapes(const std::vector<std::string>& specs)
{
    std::vector<std::unique_ptr<Shape>> shapes;
    shapes.reserve(specs.size());
    for (const auto& spec : specs)
        shapes.push_back(make_shape(spec));
    return shapes;
}

} // namespace sample
