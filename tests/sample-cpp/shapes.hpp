// shapes.hpp - a small class hierarchy with virtual functions.
#ifndef SAMPLE_CPP_SHAPES_HPP
#define SAMPLE_CPP_SHAPES_HPP

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sample {

class Shape {
public:
    virtual ~Shape() = default;
    virtual double area() const = 0;
    virtual double perimeter() const = 0;
    virtual std::string name() const = 0;
    std::string describe() const;
};

class Circle final : public Shape {
public:
    explicit Circle(double radius);
    double area() const override;
    double perimeter() const override;
    std::string name() const override { return "circle"; }

private:
    double radius_;
};

class Rectangle : public Shape {
public:
    Rectangle(double width, double height);
    double area() const override { return width_ * height_; }
    double perimeter() const override { return 2 * (width_ + height_); }
    std::string name() const override { return "rectangle"; }

protected:
    double width_;
    double height_;
};

class Square final : public Rectangle {
public:
    explicit Square(double side) : Rectangle(side, side) {}
    std::string name() const override { return "square"; }
};

class Triangle final : public Shape {
public:
    Triangle(double a, double b, double c);
    double area() const override;
    double perimeter() const override { return a_ + b_ + c_; }
    std::string name() const override { return "triangle"; }

private:
    double a_, b_, c_;
};

class ShapeError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// Parses specs such as "circle 1.5", "rect 2 3", "square 4", "tri 3 4 5".
// Throws ShapeError for unknown kinds or invalid dimensions.
std::unique_ptr<Shape> make_shape(const std::string& spec);
std::vector<std::unique_ptr<Shape>> make_shapes(const std::vector<std::string>& specs);

} // namespace sample

#endif
